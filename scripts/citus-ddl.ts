// Prints the Citus DDL for the current schema (docs/scale-out.md): npm run citus-ddl
import { citusDdl } from "../src/db/scale-out.js";

process.stdout.write(citusDdl());
