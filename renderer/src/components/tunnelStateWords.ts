import type { TunnelStatus } from '../store/apiTypes.js';
import type { StatusTone } from './StatusDot.js';

/** A tunnel state in words and colour. */
export function tunnelStateWords(state: TunnelStatus['status']): {
  tone: StatusTone;
  words: string;
} {
  switch (state) {
    case 'connected':
      return { tone: 'ok', words: 'Connected' };
    case 'connecting':
      return { tone: 'busy', words: 'Connecting…' };
    case 'error':
      return { tone: 'error', words: 'Error' };
    case 'disconnected':
      return { tone: 'off', words: 'Disconnected' };
  }
}
