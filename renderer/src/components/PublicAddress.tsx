import { useAppStore } from '../store/StoreProvider.js';
import { Button } from './Button.js';
import { CopyButton } from './CopyButton.js';

/** The address a browser opens, with copy and open buttons (open goes through the host). */
export function PublicAddress({ url }: { url: string }) {
  const openExternal = useAppStore((s) => s.openExternal);
  return (
    <span className="public-address">
      <code>{url}</code> <CopyButton label="Copy address" text={url} />{' '}
      <Button
        className="button-small"
        aria-label={`Open ${url}`}
        onClick={() => void openExternal(url)}
      >
        Open
      </Button>
    </span>
  );
}
