// make_repo.mjs: a TUF repository written by independent tooling
// (@tufjs/models, keys and signatures from node:crypto), for
// tests/e2e/tuf_interop.t to check that kit-fetch accepts it.
//
// usage: node make_repo.mjs --out DIR --target PATH --file ARCHIVE
//                           --custom JSON [--days N]
//
// Writes a complete consistent-snapshot repository under DIR:
//   DIR/metadata/1.root.json, 1.targets.json, 1.snapshot.json, timestamp.json
//   DIR/targets/<dir of PATH>/<sha256>.<base of PATH>   (a copy of ARCHIVE)
// One fresh ed25519 key per top-level role (threshold 1), keyid = SHA-256
// of the key's canonical JSON, public key in hex.  Every role expires in
// N days (default 30).  Snapshot and timestamp carry version, length and
// sha256 of the file they describe.  Before writing, the root is used to
// verify every role with @tufjs/models (a self-check of this script).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import {
	Key, Metadata, MetaFile, Root, Signature, Snapshot, TargetFile, Targets,
	Timestamp,
} from '@tufjs/models';

function usage(msg) {
	process.stderr.write(`make_repo.mjs: ${msg}\n`);
	process.exit(2);
}

const args = process.argv.slice(2);
const opt = { days: '30' };
for (let i = 0; i < args.length; i += 2) {
	const k = args[i];
	if (!['--out', '--target', '--file', '--custom', '--days'].includes(k) ||
	    i + 1 >= args.length)
		usage(`bad argument ${k}`);
	opt[k.slice(2)] = args[i + 1];
}
if (!opt.out || !opt.target || !opt.file || !opt.custom)
	usage('--out, --target, --file and --custom are required');

const SPEC = '1.0.31';
const expires = new Date(Date.now() + Number(opt.days) * 86400000)
	.toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// An ed25519 key as TUF writes it, with its keyid and a signer for
// Metadata.sign() (which hands it the canonical JSON of "signed").
function newKey() {
	const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
	const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
	const body = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
	const keyID = sha256(Buffer.from(canonicalize(body)));
	const key = Key.fromJSON(keyID, body);
	const signer = (data) => new Signature({
		keyID, sig: crypto.sign(null, data, privateKey).toString('hex'),
	});
	return { key, signer };
}

const roles = ['root', 'targets', 'snapshot', 'timestamp'];
const keys = Object.fromEntries(roles.map((r) => [r, newKey()]));

// Target file.
const archive = fs.readFileSync(opt.file);
const digest = sha256(archive);
const { dir, base } = path.posix.parse(opt.target);
const targetFile = path.join(opt.out, 'targets', dir, `${digest}.${base}`);
fs.mkdirSync(path.dirname(targetFile), { recursive: true });
fs.writeFileSync(targetFile, archive);

// root (the four top-level roles, threshold 1, are the models' default)
const root = new Root({ version: 1, specVersion: SPEC, expires, consistentSnapshot: true });
for (const r of roles) root.addKey(keys[r].key, r);
const rootMd = new Metadata(root);
rootMd.sign(keys.root.signer);

// targets
const targets = new Targets({ version: 1, specVersion: SPEC, expires });
targets.addTarget(new TargetFile({
	path: opt.target, length: archive.length, hashes: { sha256: digest },
	unrecognizedFields: { custom: JSON.parse(opt.custom) },
}));
const targetsMd = new Metadata(targets);
targetsMd.sign(keys.targets.signer);
const targetsBytes = Buffer.from(JSON.stringify(targetsMd.toJSON(), null, 1));

// snapshot
const snapshotMd = new Metadata(new Snapshot({
	version: 1, specVersion: SPEC, expires,
	meta: { 'targets.json': new MetaFile({ version: 1, length: targetsBytes.length, hashes: { sha256: sha256(targetsBytes) } }) },
}));
snapshotMd.sign(keys.snapshot.signer);
const snapshotBytes = Buffer.from(JSON.stringify(snapshotMd.toJSON(), null, 1));

// timestamp
const timestampMd = new Metadata(new Timestamp({
	version: 1, specVersion: SPEC, expires,
	snapshotMeta: new MetaFile({ version: 1, length: snapshotBytes.length, hashes: { sha256: sha256(snapshotBytes) } }),
}));
timestampMd.sign(keys.timestamp.signer);

// Self-check: the root verifies itself and every role.
rootMd.verifyDelegate('root', rootMd);
rootMd.verifyDelegate('targets', targetsMd);
rootMd.verifyDelegate('snapshot', snapshotMd);
rootMd.verifyDelegate('timestamp', timestampMd);

const meta = path.join(opt.out, 'metadata');
fs.mkdirSync(meta, { recursive: true });
fs.writeFileSync(path.join(meta, '1.root.json'), JSON.stringify(rootMd.toJSON(), null, 1));
fs.writeFileSync(path.join(meta, '1.targets.json'), targetsBytes);
fs.writeFileSync(path.join(meta, '1.snapshot.json'), snapshotBytes);
fs.writeFileSync(path.join(meta, 'timestamp.json'), JSON.stringify(timestampMd.toJSON(), null, 1));
process.stdout.write(`${opt.target} ${archive.length} ${digest}\n`);
