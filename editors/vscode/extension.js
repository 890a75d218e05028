// Rekindle for VS Code: starts the language server (`rekindle lsp`, the project's compiler,
// checker, linter and formatter) for rule, schema and test files. Highlighting, brackets,
// comments and snippets are declared in package.json and need no code.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

async function activate(context) {
  const config = vscode.workspace.getConfiguration('rekindle');
  const command = config.get('server.path', 'rekindle');
  const args = ['lsp', ...config.get('server.extraArgs', [])];
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'rekindle-rules' },
      { scheme: 'file', language: 'rekindle-schema' },
      { scheme: 'file', language: 'rekindle-test' },
      { scheme: 'untitled', language: 'rekindle-rules' },
    ],
    initializationOptions: {
      lint: config.get('lint', true),
      ...(config.get('docsBaseUrl', '') ? { docsBaseUrl: config.get('docsBaseUrl') } : {}),
    },
    synchronize: {
      // Imported files changed on disk: the server checks open documents again.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{rules,schema}'),
    },
  };
  client = new LanguageClient('rekindle', 'Rekindle', serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('rekindle') && client) {
        await client.stop();
        await activate(context);
      }
    }),
  );
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `Rekindle: cannot start \`${command} lsp\` (${err.message}). Set rekindle.server.path to the rekindle command.`,
    );
  }
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
