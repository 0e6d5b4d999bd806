import type { Route } from '../store/route.js';
import { useAppStore } from '../store/StoreProvider.js';
import type { ButtonProps } from './Button.js';
import { Button } from './Button.js';

export interface RouteLinkProps extends Omit<ButtonProps, 'onClick'> {
  /** The screen it opens. */
  to: Route;
}

/** A button that opens one of the app's screens; link-styled unless a variant is given. */
export function RouteLink({ to, variant = 'link', ...button }: RouteLinkProps) {
  const navigate = useAppStore((s) => s.navigate);
  return <Button {...button} variant={variant} onClick={() => navigate(to)} />;
}
