// A setup's ceremony, checked with snarkjs's library: node ceremony.mjs SNARKJS_MAIN R1CS PTAU
// ZKEY. Verifies the phase-1 file (every powers-of-tau contribution in turn) and then the
// circuit key against the circuit and that file (every phase-2 contribution in turn). Prints
// one JSON object: both verdicts and snarkjs's messages, which name each contribution and its
// hash; exits 0 whatever the verdicts (a crash exits 1).
import { pathToFileURL } from "node:url";

const [main, r1cs, ptau, zkey] = process.argv.slice(2);
const snarkjs = await import(pathToFileURL(main).href);

function collect(lines) {
    const add = (level) => (m) => lines.push({ level, text: String(m) });
    return { info: add("info"), warn: add("warn"), error: add("error"), debug: () => {} };
}

const phase1Log = [];
const phase2Log = [];
let phase1 = false;
let phase2 = false;
try {
    phase1 = await snarkjs.powersOfTau.verify(ptau, collect(phase1Log));
    if (phase1) phase2 = await snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, collect(phase2Log));
} catch (e) {
    (phase1 ? phase2Log : phase1Log).push({ level: "error", text: String(e) });
}
process.stdout.write(JSON.stringify({ phase1, phase2, phase1Log, phase2Log }));
process.exit(0);
