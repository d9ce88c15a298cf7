#!/usr/bin/env node
// Committed shim: npm links bins at install time, before dist/ exists.
import '../dist/main.js';
