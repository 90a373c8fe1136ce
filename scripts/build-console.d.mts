export const CONSOLE_DIR: string;
export const CONSOLE_DIST: string;
export interface WebApp {
  name: string;
  dir: string;
  served: string;
}
export const WEB_APPS: WebApp[];
export function sourceHash(app?: WebApp): Promise<string>;
export function bundleReport(app?: WebApp): Promise<string>;
/** Builds every web app (console, member center) whose sources changed. */
export function buildConsole(options?: { force?: boolean; log?: (line: string) => void }): Promise<boolean>;
