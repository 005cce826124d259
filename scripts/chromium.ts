// Where tests, the headless runner and the benchmark find a Chromium with WebGPU.
// RAPT_CHROMIUM overrides the path (e.g. a Chrome on a machine with a real GPU); the flags are the ones
// measured to expose WebGPU headless on this machine (../shared/docs/environment.md).
export const chromiumPath = process.env.RAPT_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  // A real GPU on Linux needs Vulkan enabled explicitly; harmless on SwiftShader.
  '--enable-features=Vulkan',
];
