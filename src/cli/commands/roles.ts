import type { Command } from 'commander';

export function register(_program: Command): void {
  // Commands of this area are registered here.
}
