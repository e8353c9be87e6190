// client.mjs: tuf-js (a third-party TUF client) against a repository served
// over HTTP.  Used by tests/e2e/tuf_interop.t to check that kit-publish
// writes a repository a conformant client accepts.
//
// usage: node client.mjs --root ROOT.json --url BASE --cache DIR
//                        [--get TARGET_PATH OUT_FILE]...
//
// Seeds DIR/metadata/root.json with ROOT.json (the trusted root), refreshes
// from BASE/metadata (root chain, timestamp, snapshot, targets: tuf-js checks
// signatures, thresholds, versions, expiry, lengths and hashes), then
// downloads each TARGET_PATH from BASE/targets (consistent-snapshot names,
// length and hashes checked) and copies it to OUT_FILE.  Prints one line per
// target: "PATH LENGTH SHA256 CUSTOM_JSON".
// Exit 0 on success; 1 when tuf-js refuses (message on stderr); 2 on usage.
import fs from 'node:fs';
import path from 'node:path';
import { Updater } from 'tuf-js';

function usage(msg) {
	process.stderr.write(`client.mjs: ${msg}\n`);
	process.exit(2);
}

const args = process.argv.slice(2);
let root, base, cache;
const gets = [];
for (let i = 0; i < args.length; i++) {
	const a = args[i];
	if (a === '--root') root = args[++i];
	else if (a === '--url') base = args[++i];
	else if (a === '--cache') cache = args[++i];
	else if (a === '--get') {
		gets.push([args[i + 1], args[i + 2]]);
		i += 2;
	} else usage(`unknown argument ${a}`);
}
if (!root || !base || !cache) usage('--root, --url and --cache are required');

const metadataDir = path.join(cache, 'metadata');
const targetDir = path.join(cache, 'targets');
try {
	fs.mkdirSync(metadataDir, { recursive: true });
	fs.mkdirSync(targetDir, { recursive: true });
	fs.copyFileSync(root, path.join(metadataDir, 'root.json'));
	const updater = new Updater({
		metadataDir,
		metadataBaseUrl: `${base}/metadata`,
		targetDir,
		targetBaseUrl: `${base}/targets`,
		config: { fetchTimeout: 10000, fetchRetry: 0 },
	});
	await updater.refresh();
	for (const [name, out] of gets) {
		const info = await updater.getTargetInfo(name);
		if (!info) throw new Error(`target ${name} is not in the trusted targets metadata`);
		const file = path.join(targetDir, encodeURIComponent(name));
		await updater.downloadTarget(info, file);
		fs.copyFileSync(file, out);
		process.stdout.write(`${name} ${info.length} ${info.hashes.sha256} ${JSON.stringify(info.custom)}\n`);
	}
} catch (e) {
	process.stderr.write(`tuf-js refused: ${e.name}: ${e.message}\n`);
	process.exit(1);
}
