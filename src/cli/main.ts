#!/usr/bin/env node
// The `gatehouse` command line (bin/gatehouse.js runs the compiled form of this file).
import { buildProgram } from './program.js';

await buildProgram().parseAsync(process.argv);
