// Every kernel is a handwritten .wgsl file under shaders/. Vite inlines them as strings at build time, so
// the worker, the GPU tests and the headless runner all compile exactly the files in the repository.
// WGSL has no #include; a line `//!include "random/philox.wgsl"` pulls in a shared file (once per module).

const files = import.meta.glob('/shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

const includeLine = /^\s*\/\/!include\s+"([^"]+)"\s*$/;

export function shaderSource(path: string): string {
  return expand(path, new Set());
}

function expand(path: string, seen: Set<string>): string {
  const key = `/shaders/${path}`;
  const text = files[key];
  if (text === undefined) throw new Error(`Unknown shader ${path}; known: ${Object.keys(files).join(', ')}`);
  if (seen.has(key)) return '';
  seen.add(key);
  return text
    .split('\n')
    .map((line) => {
      const m = includeLine.exec(line);
      return m ? expand(m[1], seen) : line;
    })
    .join('\n');
}
