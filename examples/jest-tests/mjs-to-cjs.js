// A jest transform for the Express examples' `.mjs` files: jest 30 can require() an ES module only
// on Node 24.9+, so on older Node they are compiled to CommonJS here. TypeScript keeps `.mjs` as
// ESM whatever `module` says, hence the `.js` name it is handed.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads transformers with require()
const ts = require('typescript');

module.exports = {
  process(sourceText, sourcePath) {
    const { outputText, sourceMapText } = ts.transpileModule(sourceText, {
      fileName: sourcePath.replace(/\.mjs$/, '.js'),
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, allowJs: true, esModuleInterop: true, sourceMap: true },
    });
    return { code: outputText, map: sourceMapText };
  },
};
