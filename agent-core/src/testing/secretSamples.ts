/**
 * Secret-shaped values for tests that prove a secret stays out of a file, a log or an answer:
 * each has the shape the settings' secret check looks for.
 */
export const SECRET_SAMPLES = {
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMTIzNDU2Nzg5MCJ9.c2lnbmF0dXJlLWJ5dGVz',
  /** A Cloudflare tunnel token: base64 of `{"a":…,"t":…,"s":…}`. */
  tunnelToken: 'eyJhIjoiMTIzNDU2Nzg5MGFiY2RlZiIsInQiOiJ0dW5uZWwtaWQiLCJzIjoic2VjcmV0In0=',
  /** A WireGuard private key: 32 bytes in base64. */
  wireGuardKey: 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=',
} as const;
