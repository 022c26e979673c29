// Runs @huggingface/hub and @huggingface/transformers actions given as JSON against
// HF_ENDPOINT and prints what they got as JSON (the Node side of hf_client.py).
//
//   node js_client.mjs '[{"op": "download", "repo": "org/name", "file": "config.json"}]'
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

// JS_CLIENT_HUB_URL: talk to this Hub directly (through HTTPS_PROXY), not to HF_ENDPOINT.
const endpoint = process.env.JS_CLIENT_HUB_URL ?? process.env.HF_ENDPOINT;

// Node's fetch honours HTTPS_PROXY only from Node 24 on (NODE_USE_ENV_PROXY=1). Before that,
// an app routes it through the proxy as here: undici's EnvHttpProxyAgent reads the same
// variables (and NO_PROXY); NODE_EXTRA_CA_CERTS supplies the CA.
if (process.env.HTTPS_PROXY || process.env.https_proxy) {
  const { EnvHttpProxyAgent, setGlobalDispatcher } = await import("undici");
  setGlobalDispatcher(new EnvHttpProxyAgent());
}
const cacheDir = process.env.HF_HUB_CACHE;

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

function walk(root, dir = root, out = {}) {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(root, full, out);
    else out[relative(root, full)] = sha256(readFileSync(full));
  }
  return out;
}

async function run(action) {
  const hub = await import("@huggingface/hub");
  const repo = action.type === "dataset" ? { type: "dataset", name: action.repo } : action.repo;
  switch (action.op) {
    case "download": {
      const blob = await hub.downloadFile({ repo, path: action.file, revision: action.revision,
                                            hubUrl: endpoint });
      if (!blob) return { error: "missing" };
      const bytes = Buffer.from(await blob.arrayBuffer());
      return { sha256: sha256(bytes), size: bytes.length };
    }
    case "list_files": {
      const files = [];
      for await (const entry of hub.listFiles({ repo, recursive: true, hubUrl: endpoint })) {
        if (entry.type === "file") files.push(entry.path);
      }
      return { files: files.sort() };
    }
    case "snapshot": {
      const root = await hub.snapshotDownload({ repo, revision: action.revision, cacheDir,
                                                hubUrl: endpoint });
      return { files: walk(root) };
    }
    case "tokenize": {
      const { env, AutoConfig, AutoTokenizer } = await import("@huggingface/transformers");
      env.remoteHost = endpoint + "/";
      env.allowLocalModels = false;
      env.cacheDir = cacheDir;
      const config = await AutoConfig.from_pretrained(action.repo);
      const tokenizer = await AutoTokenizer.from_pretrained(action.repo);
      const encoded = tokenizer(action.text);
      return { model_type: config.model_type,
               ids: Array.from(encoded.input_ids.data, (id) => Number(id)) };
    }
    default:
      throw new Error(`unknown op ${action.op}`);
  }
}

const results = [];
for (const action of JSON.parse(process.argv[2])) {
  try {
    results.push(await run(action));
  } catch (error) {
    results.push({ error: error?.constructor?.name ?? "Error", message: String(error).slice(0, 300) });
  }
}
console.log(JSON.stringify(results));
