#!/usr/bin/env node
// Committed entry point so npm can link the bin before the TypeScript is built.
import '../dist/main.js';
