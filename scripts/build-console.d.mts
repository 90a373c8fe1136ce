export const CONSOLE_DIR: string;
export const CONSOLE_DIST: string;
export function sourceHash(): Promise<string>;
export function bundleReport(): Promise<string>;
export function buildConsole(options?: { force?: boolean; log?: (line: string) => void }): Promise<boolean>;
