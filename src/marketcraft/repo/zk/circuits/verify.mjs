// Groth16 verification with snarkjs's library (no CLI start-up): node verify.mjs SNARKJS_MAIN
// VK PUBLIC PROOF, where SNARKJS_MAIN is the path of snarkjs's main.js. Prints OK! and exits
// 0 when the proof verifies, exits 1 otherwise.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [main, ...files] = process.argv.slice(2);
const snarkjs = await import(pathToFileURL(main).href);
let ok = false;
try {
    const [vk, pub, proof] = files.map((f) => JSON.parse(readFileSync(f, "utf8")));
    ok = await snarkjs.groth16.verify(vk, pub, proof);
} catch (e) {
    console.error(String(e));
}
if (ok) console.log("OK!");
process.exit(ok ? 0 : 1);
