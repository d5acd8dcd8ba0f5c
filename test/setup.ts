// Loaded by mocha before any test file (see .mocharc.json).
// NODE_ENV=test keeps loggers silent unless LOG_LEVEL asks for output.
process.env.NODE_ENV ??= 'test';
