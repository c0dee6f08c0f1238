// Proof that a suite runs the Nest major it claims: @nestjs/* as the shared tests and
// @loglane/nest's source resolve them in this suite.
import { describe, expect, it } from 'vitest';
import core from '@nestjs/core/package.json';
import common from '@nestjs/common/package.json';
import express from '@nestjs/platform-express/package.json';
import fastify from '@nestjs/platform-fastify/package.json';

/** Asserts that @nestjs/core, common and both platforms are of major `major`. */
export function describeNestVersion(major: number): void {
  describe(`Nest ${major}`, () => {
    it.each([
      ['@nestjs/core', core],
      ['@nestjs/common', common],
      ['@nestjs/platform-express', express],
      ['@nestjs/platform-fastify', fastify],
    ])('%s is major %#', (_name, pkg) => {
      expect(Number(String((pkg as { version: string }).version).split('.')[0])).toBe(major);
    });

    it(major >= 12 ? 'is ESM only' : 'is CommonJS', () => {
      expect((core as { type?: string }).type === 'module').toBe(major >= 12);
    });
  });
}
