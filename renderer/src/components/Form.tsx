import type { ReactNode } from 'react';

/**
 * A form the app checks itself (`noValidate`: the store's checks and the relay's field errors
 * are shown under each input): submitting calls `onSubmit` instead of loading a page.
 */
export function Form({
  onSubmit,
  className = 'form',
  children,
}: {
  onSubmit: () => unknown;
  className?: string;
  children: ReactNode;
}) {
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void onSubmit();
      }}
      noValidate
      className={className}
    >
      {children}
    </form>
  );
}
