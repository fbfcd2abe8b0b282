/**
 * The few WebGPU interfaces backend selection touches, declared here so that the package does
 * not depend on `@webgpu/types` (TypeScript's DOM library does not include WebGPU).
 */
export interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

export interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly info?: GpuAdapterInfoLike;
  /** Older implementations expose it on the adapter itself. */
  readonly isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<GpuAdapterInfoLike>;
}

export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}
