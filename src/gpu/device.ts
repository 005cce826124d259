// Opens the one WebGPU device the engine uses. A device created without requiredLimits gets the spec's
// defaults (128 MiB bindings, 16 KiB workgroup memory), far below what adapters offer, so we ask for the
// adapter's own limits on the few that matter for embedding tables and distance matrices.

import { GpuError, gpuDeviceLost, gpuUnavailable } from './errors';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** True for CPU implementations (SwiftShader, WARP, llvmpipe): heavy work will be slow. */
  isSoftware: boolean;
  features: string[];
  limits: Record<string, number>;
}

const wantedLimits = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

const optionalFeatures: GPUFeatureName[] = ['timestamp-query', 'shader-f16', 'subgroups' as GPUFeatureName];

export interface OpenedDevice {
  device: GPUDevice;
  report: AdapterReport;
  /** Resolves when the device is lost, with a typed error the UI can show. */
  lost: Promise<GpuError>;
}

export async function openDevice(gpu: GPU | null | undefined = globalThis.navigator?.gpu): Promise<OpenedDevice> {
  if (!gpu) throw gpuUnavailable('this browser has no navigator.gpu');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw gpuUnavailable('the browser found no GPU adapter (WebGPU may be disabled or blocklisted)');

  const requiredLimits: Record<string, number> = {};
  for (const name of wantedLimits) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = optionalFeatures.filter((f) => adapter.features.has(f));

  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch (e) {
    throw gpuUnavailable(`the adapter refused to create a device (${(e as Error).message})`);
  }
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  const isFallback = Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
  const report: AdapterReport = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: isFallback,
    isSoftware: isFallback || /swiftshader|llvmpipe|warp|software|cpu/.test(text),
    features: [...device.features].sort(),
    limits: Object.fromEntries(wantedLimits.map((n) => [n, device.limits[n]])),
  };
  const lost = device.lost.then((l) => gpuDeviceLost(l.message || String(l.reason)));
  return { device, report, lost };
}
