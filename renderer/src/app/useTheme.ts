import { useEffect } from 'react';
import type { ThemePreference } from '../store/uiSlice.js';

const DARK_QUERY = '(prefers-color-scheme: dark)';

/** Sets `data-theme` on <html> from the preference, following the system while it is "system". */
export function useTheme(preference: ThemePreference): void {
  useEffect(() => {
    const root = document.documentElement;
    if (preference !== 'system') {
      root.dataset.theme = preference;
      return;
    }
    const query = window.matchMedia(DARK_QUERY);
    const apply = () => {
      root.dataset.theme = query.matches ? 'dark' : 'light';
    };
    apply();
    query.addEventListener('change', apply);
    return () => query.removeEventListener('change', apply);
  }, [preference]);
}
