import type { ChangeEvent } from 'react';
import { useState } from 'react';

/** What a text input or select needs to show and edit one value of a form, and its error. */
export interface TextBinding {
  value: string;
  onChange: (event: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => void;
  error: string | undefined;
}

/** What a checkbox needs to show and edit one flag of a form, and its error. */
export interface FlagBinding {
  checked: boolean;
  onChange: (checked: boolean) => void;
  error: string | undefined;
}

type Values<V> = { [K in keyof V]: string | boolean };
/** Keys whose value is any string (not a union of literals, which a text input could break). */
type TextKey<V> = { [K in keyof V]: string extends V[K] ? K : never }[keyof V];
type FlagKey<V> = { [K in keyof V]: V[K] extends boolean ? K : never }[keyof V];

/**
 * A form's values in local state, each input bound by its name to its value and to the error the
 * last request reported for it (`errors`: a FriendlyError's `fields`, keyed by input name).
 * `onEdit` hears every change, e.g. to drop a result that no longer fits the values.
 */
export function useFormValues<V extends Values<V>>(
  initial: V | (() => V),
  errors: Partial<Record<string, string>> = {},
  onEdit?: <K extends keyof V>(key: K, value: V[K]) => void,
) {
  const [start] = useState(initial);
  const [values, setValues] = useState(start);

  function set<K extends keyof V>(key: K, value: V[K]): void {
    setValues((current) => ({ ...current, [key]: value }));
    onEdit?.(key, value);
  }

  return {
    values,
    set,
    /** Back to the values the form started with. */
    reset: () => setValues(start),
    text: (key: TextKey<V> & string): TextBinding => ({
      value: values[key] as string,
      onChange: (event) => set(key, event.target.value as V[typeof key]),
      error: errors[key],
    }),
    flag: (key: FlagKey<V> & string): FlagBinding => ({
      checked: values[key] as boolean,
      onChange: (checked) => set(key, checked as V[typeof key]),
      error: errors[key],
    }),
  };
}
