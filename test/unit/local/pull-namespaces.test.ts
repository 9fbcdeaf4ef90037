import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../lib/lambda/config.js';
import type { QueueUrls } from '../../../lib/local/embedded-transport.js';
import { servedDispatchQueues } from '../../../lib/local/pull-namespaces.js';

const urls: QueueUrls = {
  dispatch: 'http://sqs/dispatch',
  namespaceDispatch: { pyw: 'http://sqs/dispatch-pyw', billing: 'http://sqs/dispatch-billing' },
  completion: 'http://sqs/completion',
  poison: 'http://sqs/poison',
  domainEventDlq: undefined,
  dispatchDlq: undefined,
  completionDlq: undefined,
};

describe('servedDispatchQueues (tasker dev --pull)', () => {
  it('serves every dispatch queue but the pulled namespaces', () => {
    expect(servedDispatchQueues(urls, 'aws', [])).toEqual([
      'http://sqs/dispatch',
      'http://sqs/dispatch-pyw',
      'http://sqs/dispatch-billing',
    ]);
    expect(servedDispatchQueues(urls, 'aws', ['pyw'])).toEqual(['http://sqs/dispatch', 'http://sqs/dispatch-billing']);
  });

  it('refuses, naming each, a pulled namespace without a queue of its own and any pull on in-process queues', () => {
    const refused = (kind: 'aws' | 'memory', pulled: string[]) => {
      try {
        servedDispatchQueues(urls, kind, pulled);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).problems;
      }
      throw new Error('not refused');
    };
    expect(refused('aws', ['pyw', 'ruby', 'go'])).toEqual([
      expect.stringMatching(/namespace "ruby" .* no queue of its own: add it to TASKER_NAMESPACE_QUEUE_URLS/),
      expect.stringMatching(/namespace "go" .* no queue of its own/),
    ]);
    expect(refused('memory', ['pyw'])).toEqual([expect.stringMatching(/in-process: use --transport aws/)]);
  });
});
