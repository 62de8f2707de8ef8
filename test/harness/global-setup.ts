import type { TestProject } from 'vitest/node';
import { acquireTrino } from './trino-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    trinoUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const trino = await acquireTrino();
  project.provide('trinoUrl', trino.url);
  return () => trino.stop();
}
