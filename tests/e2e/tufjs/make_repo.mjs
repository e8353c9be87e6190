// make_repo.mjs: a TUF repository written by independent tooling
// (@tufjs/models, keys and signatures from node:crypto), for
// tests/e2e/tuf_interop.t to check that kit-fetch accepts it.
//
// usage: node make_repo.mjs --out DIR [--days N] [--delegate ROLE --paths P[,P]...]...
//                           (--target PATH --file ARCHIVE --custom JSON [--in ROLE])...
//
// Writes a complete consistent-snapshot repository under DIR:
//   DIR/metadata/1.root.json, 1.targets.json, 1.snapshot.json, timestamp.json
//   DIR/metadata/1.<ROLE>.json for each delegated role
//   DIR/targets/<dir of PATH>/<sha256>.<base of PATH>   (a copy of ARCHIVE)
// One fresh ed25519 key per top-level role (threshold 1), keyid = SHA-256
// of the key's canonical JSON, public key in hex.  --delegate adds a
// delegation from the top-level targets to ROLE for the path patterns P,
// with a fresh key of its own (threshold 1, not terminating); a target
// given --in ROLE is listed by that role instead of the top-level targets.
// Every role expires in N days (default 30).  Snapshot and timestamp carry
// version, length and sha256 of the file they describe.  Before writing,
// the root is used to verify every role, and the targets every delegated
// role, with @tufjs/models (a self-check of this script).
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
const files = []; // { target, file, custom, in }
const delegated = []; // { name, paths }
for (let i = 0; i < args.length; i += 2) {
	const k = args[i], v = args[i + 1];
	if (i + 1 >= args.length)
		usage(`${k} needs a value`);
	if (k === '--out' || k === '--days') opt[k.slice(2)] = v;
	else if (k === '--target') files.push({ target: v });
	else if (k === '--delegate') delegated.push({ name: v });
	else if (k === '--paths' && delegated.length) delegated[delegated.length - 1].paths = v.split(',');
	else if (['--file', '--custom', '--in'].includes(k) && files.length) files[files.length - 1][k.slice(2)] = v;
	else usage(`bad argument ${k}`);
}
if (!opt.out || files.length === 0 || files.some((f) => !f.file || !f.custom))
	usage('--out and at least one --target with --file and --custom are required');
if (delegated.some((d) => !d.paths))
	usage('each --delegate needs --paths');
if (files.some((f) => f.in && !delegated.some((d) => d.name === f.in)))
	usage('--in names a role no --delegate adds');

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

// Target files.
for (const f of files) {
	f.bytes = fs.readFileSync(f.file);
	f.digest = sha256(f.bytes);
	const { dir, base } = path.posix.parse(f.target);
	const targetFile = path.join(opt.out, 'targets', dir, `${f.digest}.${base}`);
	fs.mkdirSync(path.dirname(targetFile), { recursive: true });
	fs.writeFileSync(targetFile, f.bytes);
}
const targetFileOf = (f) => new TargetFile({
	path: f.target, length: f.bytes.length, hashes: { sha256: f.digest },
	unrecognizedFields: { custom: JSON.parse(f.custom) },
});

// root (the four top-level roles, threshold 1, are the models' default)
const root = new Root({ version: 1, specVersion: SPEC, expires, consistentSnapshot: true });
for (const r of roles) root.addKey(keys[r].key, r);
const rootMd = new Metadata(root);
rootMd.sign(keys.root.signer);

// delegated roles, each with a key of its own
const roleMds = {};
for (const d of delegated) {
	d.key = newKey();
	const t = new Targets({ version: 1, specVersion: SPEC, expires });
	for (const f of files.filter((x) => x.in === d.name)) t.addTarget(targetFileOf(f));
	roleMds[d.name] = new Metadata(t);
	roleMds[d.name].sign(d.key.signer);
}

// targets (the models do not export their delegation classes: the
// delegations go in as JSON, which Targets.fromJSON() parses and checks)
const targets = Targets.fromJSON({
	_type: 'targets', spec_version: SPEC, version: 1, expires, targets: {},
	...(delegated.length === 0 ? {} : { delegations: {
		keys: Object.fromEntries(delegated.map((d) => [d.key.key.keyID, d.key.key.toJSON()])),
		roles: delegated.map((d) => ({
			name: d.name, keyids: [d.key.key.keyID], threshold: 1, terminating: false, paths: d.paths,
		})),
	} }),
});
for (const f of files.filter((x) => !x.in)) targets.addTarget(targetFileOf(f));
const targetsMd = new Metadata(targets);
targetsMd.sign(keys.targets.signer);
const targetsBytes = Buffer.from(JSON.stringify(targetsMd.toJSON(), null, 1));
const roleBytes = Object.fromEntries(Object.entries(roleMds).map(([n, md]) =>
	[n, Buffer.from(JSON.stringify(md.toJSON(), null, 1))]));
const metaFile = (bytes) => new MetaFile({ version: 1, length: bytes.length, hashes: { sha256: sha256(bytes) } });

// snapshot
const snapshotMd = new Metadata(new Snapshot({
	version: 1, specVersion: SPEC, expires,
	meta: {
		'targets.json': metaFile(targetsBytes),
		...Object.fromEntries(Object.entries(roleBytes).map(([n, b]) => [`${n}.json`, metaFile(b)])),
	},
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
for (const [n, md] of Object.entries(roleMds)) targetsMd.verifyDelegate(n, md);

const meta = path.join(opt.out, 'metadata');
fs.mkdirSync(meta, { recursive: true });
fs.writeFileSync(path.join(meta, '1.root.json'), JSON.stringify(rootMd.toJSON(), null, 1));
fs.writeFileSync(path.join(meta, '1.targets.json'), targetsBytes);
fs.writeFileSync(path.join(meta, '1.snapshot.json'), snapshotBytes);
for (const [n, b] of Object.entries(roleBytes)) fs.writeFileSync(path.join(meta, `1.${n}.json`), b);
fs.writeFileSync(path.join(meta, 'timestamp.json'), JSON.stringify(timestampMd.toJSON(), null, 1));
for (const f of files) process.stdout.write(`${f.target} ${f.bytes.length} ${f.digest}\n`);
