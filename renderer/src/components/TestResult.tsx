import type { TunnelTestResult } from '../store/apiTypes.js';
import { tunnelErrorWords } from '../store/friendlyError.js';

/**
 * A connectivity test in progress or its outcome (seed 000 P13-2.4): latency and hostname on
 * success, the specific error on failure. One live region so the outcome is announced.
 */
export function TestResult({
  result,
  pending,
}: {
  result: TunnelTestResult | undefined;
  pending: boolean;
}) {
  let content = null;
  if (pending) {
    content = (
      <p className="panel">
        <span className="spinner" aria-hidden="true" /> Testing the connection… this can take up to
        30 seconds.
      </p>
    );
  } else if (result?.success) {
    content = (
      <p className="panel panel-success">
        Connection works: {result.hostname ? `reached ${result.hostname}` : 'connected'}
        {result.latency_ms !== null && ` in ${result.latency_ms} ms`}.
        {/* e.g. the tunnel runs in the CLI and the relay was asked instead of starting it again */}
        {result.note && ` ${result.note}`}
      </p>
    );
  } else if (result) {
    const words =
      tunnelErrorWords(result.error_code, result.error) ?? 'The connection did not come up.';
    content = <p className="panel panel-error">Test failed: {words}</p>;
  }
  return (
    <div className="test-result" role="status" aria-live="polite">
      {content}
    </div>
  );
}
