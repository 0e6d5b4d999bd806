import { useEffect, useState } from 'react';
import { Button } from './Button.js';

/** Writes text to the clipboard, with a fallback for pages without the async Clipboard API. */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied (no user activation, insecure context): try the older way below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  return ok;
}

export interface CopyButtonProps {
  /** What is copied, as the button's accessible name: "Copy instance token". */
  label: string;
  text: string;
}

/** A button that copies a value and says so in a live region. */
export function CopyButton({ label, text }: CopyButtonProps) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');

  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(timer);
  }, [state]);

  async function handleCopy() {
    setState((await copyText(text)) ? 'copied' : 'failed');
  }

  return (
    <span className="copy">
      <Button className="button-small" onClick={() => void handleCopy()}>
        {label}
      </Button>
      <span className="copy-status" role="status">
        {state === 'copied'
          ? 'Copied'
          : state === 'failed'
            ? 'Copy failed: select and copy it'
            : ''}
      </span>
    </span>
  );
}
