// sign_repo.mjs: signed TUF repositories around hostile archives, for
// tests/e2e/evil_archives.t.  Written with @tufjs/models (tuf-js's metadata
// library) and node:crypto, like tests/e2e/tufjs/make_repo.mjs, but the keys
// are kept in a file so that every repository this writes is a later
// version of the same TUF repository: an office that pinned its
// 1.root.json trusts all of them.
//
// usage: node sign_repo.mjs --keys KEYS.json --spec SPEC.json
//
// KEYS.json is created on the first call: one ed25519 key per top-level
// role (threshold 1, keyid = SHA-256 of the key's canonical JSON), private
// keys as PKCS#8 PEM, and the signed root (version 1), so 1.root.json is
// byte for byte the same in every repository.  Test keys only.
//
// SPEC.json is a list of repositories to write:
//   [{"out": DIR, "version": N,
//     "targets": [{"path": "together-2016/belgium.tar.zst",
//                  "file": ARCHIVE, "custom": {...}}]}]
// Each DIR gets a consistent-snapshot repository:
//   DIR/metadata/1.root.json, N.targets.json, N.snapshot.json, timestamp.json
//   DIR/targets/<dir of path>/<sha256>.<base of path>
// targets, snapshot and timestamp all carry version N and expire in 30
// days.  Every role is verified against the root before it is written.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalize } from '@tufjs/canonical-json';
import {
	Key, Metadata, MetaFile, Root, Signature, Snapshot, TargetFile, Targets,
	Timestamp,
} from '@tufjs/models';

function usage(msg) {
	process.stderr.write(`sign_repo.mjs: ${msg}\n`);
	process.exit(2);
}

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i += 2) {
	if (!['--keys', '--spec'].includes(args[i]) || i + 1 >= args.length)
		usage(`bad argument ${args[i]}`);
	opt[args[i].slice(2)] = args[i + 1];
}
if (!opt.keys || !opt.spec)
	usage('--keys and --spec are required');

const SPEC = '1.0.31';
const ROLES = ['root', 'targets', 'snapshot', 'timestamp'];
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const expiresIn = (days) => new Date(Date.now() + days * 86400000)
	.toISOString().replace(/\.\d{3}Z$/, 'Z');

// A role's key as TUF writes it, its keyid, and a signer for Metadata.sign().
function loadKey(pem) {
	const privateKey = crypto.createPrivateKey(pem);
	const publicKey = crypto.createPublicKey(privateKey);
	const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
	const body = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw.toString('hex') } };
	const keyID = sha256(Buffer.from(canonicalize(body)));
	return {
		key: Key.fromJSON(keyID, body),
		signer: (data) => new Signature({
			keyID, sig: crypto.sign(null, data, privateKey).toString('hex'),
		}),
	};
}

// The keys and the signed root: made once, then read back.
let store;
if (fs.existsSync(opt.keys)) {
	store = JSON.parse(fs.readFileSync(opt.keys, 'utf8'));
} else {
	store = { keys: {} };
	for (const r of ROLES) {
		const { privateKey } = crypto.generateKeyPairSync('ed25519');
		store.keys[r] = privateKey.export({ format: 'pem', type: 'pkcs8' });
	}
	const root = new Root({ version: 1, specVersion: SPEC, expires: expiresIn(365), consistentSnapshot: true });
	for (const r of ROLES) root.addKey(loadKey(store.keys[r]).key, r);
	const rootMd = new Metadata(root);
	rootMd.sign(loadKey(store.keys.root).signer);
	store.root = JSON.stringify(rootMd.toJSON(), null, 1);
	fs.writeFileSync(opt.keys, JSON.stringify(store), { mode: 0o600 });
}
const keys = Object.fromEntries(ROLES.map((r) => [r, loadKey(store.keys[r])]));
const rootMd = Metadata.fromJSON('root', JSON.parse(store.root));
rootMd.verifyDelegate('root', rootMd);

const spec = JSON.parse(fs.readFileSync(opt.spec, 'utf8'));
for (const repo of spec) {
	const version = repo.version;
	const expires = expiresIn(30);
	const meta = path.join(repo.out, 'metadata');
	fs.mkdirSync(meta, { recursive: true });

	const targets = new Targets({ version, specVersion: SPEC, expires });
	for (const t of repo.targets) {
		const archive = fs.readFileSync(t.file);
		const digest = sha256(archive);
		const { dir, base } = path.posix.parse(t.path);
		const dest = path.join(repo.out, 'targets', dir, `${digest}.${base}`);
		fs.mkdirSync(path.dirname(dest), { recursive: true });
		fs.writeFileSync(dest, archive);
		targets.addTarget(new TargetFile({
			path: t.path, length: archive.length, hashes: { sha256: digest },
			unrecognizedFields: { custom: t.custom },
		}));
	}
	const targetsMd = new Metadata(targets);
	targetsMd.sign(keys.targets.signer);
	const targetsBytes = Buffer.from(JSON.stringify(targetsMd.toJSON(), null, 1));

	const snapshotMd = new Metadata(new Snapshot({
		version, specVersion: SPEC, expires,
		meta: { 'targets.json': new MetaFile({ version, length: targetsBytes.length, hashes: { sha256: sha256(targetsBytes) } }) },
	}));
	snapshotMd.sign(keys.snapshot.signer);
	const snapshotBytes = Buffer.from(JSON.stringify(snapshotMd.toJSON(), null, 1));

	const timestampMd = new Metadata(new Timestamp({
		version, specVersion: SPEC, expires,
		snapshotMeta: new MetaFile({ version, length: snapshotBytes.length, hashes: { sha256: sha256(snapshotBytes) } }),
	}));
	timestampMd.sign(keys.timestamp.signer);

	// Self-check: the pinned root verifies every role.
	rootMd.verifyDelegate('targets', targetsMd);
	rootMd.verifyDelegate('snapshot', snapshotMd);
	rootMd.verifyDelegate('timestamp', timestampMd);

	fs.writeFileSync(path.join(meta, '1.root.json'), store.root);
	fs.writeFileSync(path.join(meta, `${version}.targets.json`), targetsBytes);
	fs.writeFileSync(path.join(meta, `${version}.snapshot.json`), snapshotBytes);
	fs.writeFileSync(path.join(meta, 'timestamp.json'), JSON.stringify(timestampMd.toJSON(), null, 1));
	process.stdout.write(`${repo.out} version ${version}\n`);
}
