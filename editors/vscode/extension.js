// Starts `policy lsp` for .policy and .tests files; the server does the rest.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("policy")
    .get("server.command", ["policy", "lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient("policy", "Policy rule packs", server, {
    documentSelector: [{ language: "policy" }],
  });
  context.subscriptions.push(client);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `Could not start the policy language server (${[command, ...args].join(" ")}): ` +
      `${error.message}. Install the engine (pip install policy-engine) or set ` +
      "policy.server.command.");
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
