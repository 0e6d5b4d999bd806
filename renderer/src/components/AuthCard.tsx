import type { ReactNode } from 'react';
import { ScreenTitle } from './ScreenTitle.js';

/** The centred card the signed-out screens sit in. */
export function AuthCard({
  title,
  intro,
  children,
  footer,
}: {
  title: string;
  intro?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
    <div className="auth">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          <span className="brand-mark" /> Cloud Connect
        </p>
        <ScreenTitle>{title}</ScreenTitle>
        {intro && <div className="auth-intro">{intro}</div>}
        {children}
        {footer && <div className="auth-footer">{footer}</div>}
      </div>
    </div>
  );
}
