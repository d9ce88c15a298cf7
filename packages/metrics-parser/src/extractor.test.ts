import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engineConfig } from './engines.js';
import { MetricSpecError } from './errors.js';
import { MetricsExtractor } from './extractor.js';
import { only, Pair } from './test-helpers.js';

const waiting = (spec = 'q') => new Pair(only('waitingQueue', spec));
const kv = (spec = 'kv') => new Pair(only('kvUsage', spec));

describe('grammar', () => {
  test('HELP/TYPE, bare sample, labels, blank lines', () => {
    const r = waiting().extract('# HELP q The queue.\n# TYPE q gauge\n\nq 4\n');
    assert.deepEqual(r, { waitingQueueSize: 4, errors: [] });
  });

  test('CRLF line ends and a missing final newline', () => {
    assert.equal(waiting().extract('# TYPE q gauge\r\nq{a="1"} 5\r\nother 1\r\n').waitingQueueSize, 5);
    assert.equal(waiting().extract('other 1\nq 6').waitingQueueSize, 6);
    assert.equal(waiting().extract('q 7\r').waitingQueueSize, 7);
  });

  test('escaped label values, commas and braces inside values', () => {
    const p = waiting('q{path=a\\b}');
    // the spec value is raw text; the page escapes the backslash
    assert.equal(p.extract('q{x="}{,\\"\\n",path="a\\\\b"} 3\n').waitingQueueSize, 3);
    assert.throws(() => waiting('q{x=a,b}'), MetricSpecError); // a comma cannot be inside a spec value
  });

  test('value forms: NaN, +Inf, -Inf, exponents, signs', () => {
    const p = kv();
    assert.equal(p.extract('kv 2.5e-1\n').kvCacheUsagePercent, 0.25);
    assert.equal(p.extract('kv +.5\n').kvCacheUsagePercent, 0.5);
    assert.equal(p.extract('kv 1.\n').kvCacheUsagePercent, 1);
    assert.equal(p.extract('kv 0.30000000000000004\n').kvCacheUsagePercent, 0.30000000000000004);
    const long = '123456789012345678901234567890e-30';
    assert.equal(p.extract(`kv ${long}\n`).kvCacheUsagePercent, Number(long));
    for (const v of ['NaN', '+Inf', '-Inf', 'inf', '-Infinity', '1e400']) {
      const r = p.extract(`kv ${v}\n`);
      assert.equal(r.kvCacheUsagePercent, undefined, v);
      assert.equal(r.errors[0]?.code, 'InvalidValue', v);
    }
    assert.equal(waiting().extract('q 7.9\n').waitingQueueSize, 7); // Go int(float64) truncates
  });

  test('optional integer timestamps pick the newest sample; ties keep the first', () => {
    const p = waiting();
    assert.equal(p.extract('q 1 100\nq 2 300\nq 3 200\n').waitingQueueSize, 2);
    assert.equal(p.extract('q 1\nq 2\n').waitingQueueSize, 1);
    assert.equal(p.extract('q 1 0\nq 2 0\n').waitingQueueSize, 1);
    assert.equal(p.extract('q 1\nq 2 5\n').waitingQueueSize, 2);
    // upstream compares with > starting from -1: a negative timestamp never wins
    assert.equal(p.extract('q 1 -5\n').errors[0]?.code, 'NoMatch');
    // OpenMetrics float seconds
    assert.equal(p.extract('q 1 1700000000.5\nq 2 1700000000.4\n').waitingQueueSize, 1);
  });

  test('histogram and summary series of other families are skipped; the wanted one is read', () => {
    const page = [
      '# TYPE h histogram',
      'h_bucket{le="0.1"} 1',
      'h_bucket{le="+Inf"} 2',
      'h_sum 0.3',
      'h_count 2',
      '# TYPE s summary',
      's{quantile="0.5"} 0.1',
      's_sum 1',
      's_count 3',
      'q 9',
    ].join('\n');
    assert.equal(waiting().extract(page).waitingQueueSize, 9);
    assert.equal(waiting('h_count').extract(page).waitingQueueSize, 2);
    assert.equal(waiting('h_bucket{le=+Inf}').extract(page).waitingQueueSize, 2);
  });

  test('OpenMetrics: exemplars, # EOF, _created and UNIT lines', () => {
    const page =
      '# TYPE q gauge\n# UNIT q requests\nq 3 # {trace_id="abc"} 1.0 1700000000\nq_created 1.7e9\n# EOF\nq 99\n';
    const r = waiting().extract(page);
    assert.equal(r.waitingQueueSize, 3);
  });

  test('leading blanks and blanks around label tokens', () => {
    assert.equal(waiting('q{a=b}').extract('  \tq{ a = "b" , } 4\n').waitingQueueSize, 4);
  });

  test('a prefix of a longer name does not match', () => {
    const r = waiting().extract('q_total 5\nqq 6\n');
    assert.equal(r.errors[0]?.code, 'FamilyNotFound');
  });
});

describe('selection and errors', () => {
  test('label containment', () => {
    const p = waiting('m{request_type=waiting}');
    const page = 'm{model="x",request_type="scheduled"} 1\nm{request_type="waiting",model="x"} 2\n';
    assert.equal(p.extract(page).waitingQueueSize, 2);
    assert.deepEqual(new Pair(only('waitingQueue', 'm{request_type=none}')).extract(page).errors, [
      {
        metric: 'waitingQueue',
        code: 'NoMatch',
        message: 'no matching metric found for "m" with labels map[request_type:none]',
      },
    ]);
  });

  test('family not found / declared without samples', () => {
    assert.deepEqual(waiting().extract('x 1\n').errors, [
      { metric: 'waitingQueue', code: 'FamilyNotFound', message: 'metric family "q" not found' },
    ]);
    assert.deepEqual(waiting().extract('# HELP q h\n# TYPE q gauge\n').errors, [
      { metric: 'waitingQueue', code: 'NoMetrics', message: 'no metrics available for "q"' },
    ]);
  });

  test('a malformed line inside the wanted family errors that spec only', () => {
    const cfg = { ...only('waitingQueue', 'q'), running: 'r' };
    const p = new Pair(cfg);
    const r = p.extract('q 1\nr 2\nq{a="b} 3\n');
    assert.equal(r.waitingQueueSize, undefined);
    assert.equal(r.runningRequestsSize, 2);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0]?.code, 'MalformedLine');
    assert.match(
      r.errors[0]!.message,
      /^malformed line 3 \(column 10\) of metric family "q": unterminated label value$/,
    );
  });

  const malformed: Array<[string, string]> = [
    ['q{1a="b"} 1', 'invalid label name'],
    ['q{a "b"} 1', 'expected "="'],
    ['q{a=b} 1', 'to start the label value'],
    ['q{a="\\x"} 1', 'invalid escape'],
    ['q{a="b" c="d"} 1', 'expected "," or "}"'],
    ['q{a="b"', 'expected "," or "}"'],
    ['q', 'missing sample value'],
    ['q{}', 'missing sample value'],
    ['q one', 'invalid sample value'],
    ['q 1.2.3', 'invalid sample value'],
    ['q 0x10', 'invalid sample value'],
    ['q +NaN', 'invalid sample value'],
    ['q 1 12a', 'invalid timestamp'],
    ['q 1 99999999999999999999', 'invalid timestamp'],
    ['q 1 2 3', 'unexpected text after timestamp'],
    ['q\r1', 'unexpected character after metric name'],
  ];
  for (const [line, reason] of malformed) {
    test(`malformed: ${JSON.stringify(line)}`, () => {
      const r = waiting().extract(`q 5\n${line}\n`);
      assert.equal(r.waitingQueueSize, undefined);
      assert.equal(r.errors[0]?.code, 'MalformedLine');
      assert.ok(r.errors[0]!.message.includes(reason), r.errors[0]!.message);
    });
  }

  test('malformed lines of other families are not validated', () => {
    const r = waiting().extract('weird{{{ "" ,,, \\x 1 2 3 4\n\u0000\u00ff binary\nq 2\n');
    assert.deepEqual(r, { waitingQueueSize: 2, errors: [] });
  });
});

describe('vLLM specifics', () => {
  const vllm = () => new Pair(engineConfig('vllm'));

  test('LoRA: largest value wins, empty series skipped, lists trimmed, max_lora parsed', () => {
    const page = [
      'vllm:lora_requests_info{max_lora="2",running_lora_adapters="a",waiting_lora_adapters=""} 10',
      'vllm:lora_requests_info{max_lora="3",running_lora_adapters="",waiting_lora_adapters=""} 99',
      'vllm:lora_requests_info{max_lora="3",running_lora_adapters=" b , c,,b",waiting_lora_adapters="d"} 20',
    ].join('\n');
    const r = new Pair(only('lora', 'vllm:lora_requests_info')).extract(page);
    assert.deepEqual(r, { activeModels: ['b', 'c'], waitingModels: ['d'], maxActiveModels: 3, errors: [] });
  });

  test('LoRA: bad max_lora is an error, not a crash; the lists still count', () => {
    const r = new Pair(only('lora', 'vllm:lora_requests_info')).extract(
      'vllm:lora_requests_info{max_lora="four",running_lora_adapters="a",waiting_lora_adapters=""} 1\n',
    );
    assert.deepEqual(r.activeModels, ['a']);
    assert.equal(r.maxActiveModels, undefined);
    assert.deepEqual(r.errors, [
      { metric: 'lora', code: 'InvalidInteger', message: 'strconv.Atoi: parsing "four": invalid syntax' },
    ]);
  });

  test('LoRA: missing family is an error; no qualifying series is no change and no error', () => {
    const p = new Pair(only('lora', 'vllm:lora_requests_info'));
    assert.equal(p.extract('x 1\n').errors[0]?.code, 'FamilyNotFound');
    assert.deepEqual(
      p.extract(
        'vllm:lora_requests_info{max_lora="1",running_lora_adapters="",waiting_lora_adapters=""} 5\n',
      ),
      { errors: [] },
    );
  });

  test('cache_config_info labels', () => {
    const r = new Pair(only('cacheInfo', 'vllm:cache_config_info')).extract(
      'vllm:cache_config_info{block_size="32",num_gpu_blocks="1000",num_cpu_blocks="None"} 1\n',
    );
    assert.deepEqual(r, { cacheBlockSize: 32, cacheNumGpuBlocks: 1000, errors: [] });
    const bad = new Pair(only('cacheInfo', 'vllm:cache_config_info')).extract(
      'vllm:cache_config_info{block_size="x16",num_gpu_blocks="1000"} 1\n',
    );
    assert.equal(bad.cacheBlockSize, undefined);
    assert.equal(bad.cacheNumGpuBlocks, 1000);
    assert.equal(bad.errors[0]?.message, 'strconv.Atoi: parsing "x16": invalid syntax');
  });

  test('KV falls back to vllm:gpu_cache_usage_perc only when the new family is absent', () => {
    assert.equal(vllm().extract('vllm:gpu_cache_usage_perc 0.5\n').kvCacheUsagePercent, 0.5);
    assert.equal(
      vllm().extract('vllm:kv_cache_usage_perc 0.25\nvllm:gpu_cache_usage_perc 0.5\n').kvCacheUsagePercent,
      0.25,
    );
    const neither = vllm()
      .extract('x 1\n')
      .errors.find((e) => e.metric === 'kvUsage');
    assert.equal(neither?.message, 'metric family "vllm:kv_cache_usage_perc" not found');
    const noFallback = new Pair({ ...engineConfig('vllm'), kvUsageFallback: '' });
    assert.equal(noFallback.extract('vllm:gpu_cache_usage_perc 0.5\n').kvCacheUsagePercent, undefined);
  });
});

describe('bad input', () => {
  test('a page over the cap is refused with a clear error', () => {
    const ex = new MetricsExtractor({ ...only('waitingQueue', 'q'), maxPageBytes: 100 });
    const r = ex.extract(new Uint8Array(101).fill(0x71));
    assert.deepEqual(r, {
      errors: [
        {
          metric: 'page',
          code: 'PageTooLarge',
          message: 'metrics page of 101 bytes exceeds the limit of 100 bytes',
        },
      ],
    });
    assert.equal(ex.extract(new TextEncoder().encode('q 1\n')).waitingQueueSize, 1);
  });

  test('empty, binary and truncated pages give errors, never throw', () => {
    const p = new Pair(engineConfig('vllm'));
    for (const page of [
      new Uint8Array(0),
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff),
      new TextEncoder().encode('vllm:num_requests_waiting{model_name="m'),
      new TextEncoder().encode('vllm:num_requests_waiting'),
      new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('vllm:num_requests_waiting 1\n')]),
    ]) {
      const r = p.extract(page);
      assert.ok(r.errors.length > 0);
      assert.equal(r.waitingQueueSize, undefined);
    }
  });

  test('config errors: bad spec throws the upstream message', () => {
    assert.throws(() => new MetricsExtractor(only('waitingQueue', 'q{a=}')), MetricSpecError);
    assert.throws(
      () => new MetricsExtractor({ ...only('waitingQueue', 'q'), maxPageBytes: 0 }),
      /maxPageBytes/,
    );
  });

  test('a spec name that can never appear in a page is simply not found', () => {
    assert.equal(waiting('a b').extract('a b 1\na 2\n').errors[0]?.code, 'FamilyNotFound');
  });
});

describe('extractChunks', () => {
  test('a page split anywhere gives the same result as the whole page', () => {
    const cfg = engineConfig('vllm');
    const ex = new MetricsExtractor(cfg);
    const page = new TextEncoder().encode(
      'vllm:num_requests_waiting{model_name="m"} 3\nvllm:kv_cache_usage_perc 0.5\nvllm:lora_requests_info{max_lora="2",running_lora_adapters="a",waiting_lora_adapters=""} 9\n',
    );
    const whole = ex.extract(page);
    for (let cut = 0; cut <= page.length; cut += 7) {
      const cut2 = Math.min(page.length, cut + 13);
      assert.deepEqual(
        ex.extractChunks([page.subarray(0, cut), page.subarray(cut, cut2), page.subarray(cut2)]),
        whole,
      );
    }
    assert.deepEqual(ex.extractChunks([]), ex.extract(new Uint8Array(0)));
  });

  test('the cap applies to the total length', () => {
    const ex = new MetricsExtractor({ ...only('waitingQueue', 'q'), maxPageBytes: 10 });
    assert.equal(ex.extractChunks([new Uint8Array(6), new Uint8Array(6)]).errors[0]?.code, 'PageTooLarge');
  });
});

describe('trap recovery', () => {
  test('a trapped instance is replaced and the page reports InternalError', () => {
    const ex = new MetricsExtractor(only('waitingQueue', 'q'));
    // Simulate a trap inside the scanner (the real module has no trapping path to reach from a page).
    const internals = ex as unknown as { scanner: { scan: () => never } };
    internals.scanner.scan = () => {
      throw new WebAssembly.RuntimeError('unreachable');
    };
    const r = ex.extract(new TextEncoder().encode('q 1\n'));
    assert.deepEqual(r.errors, [
      { metric: 'page', code: 'InternalError', message: 'metrics parser trapped: unreachable' },
    ]);
    assert.equal(ex.extract(new TextEncoder().encode('q 2\n')).waitingQueueSize, 2);
  });
});

describe('comment forms', () => {
  test('HELP/TYPE with extra blanks, tabs or a lower-case keyword', () => {
    assert.deepEqual(waiting().extract('#  TYPE   q gauge\n').errors[0]?.code, 'NoMetrics');
    assert.deepEqual(waiting().extract('#\tHELP\tq\thelp text\n').errors[0]?.code, 'NoMetrics');
    assert.deepEqual(waiting().extract('# HELP  q two blanks\n').errors[0]?.code, 'NoMetrics');
    assert.deepEqual(
      waiting().extract('# help q lower case is a plain comment\n').errors[0]?.code,
      'FamilyNotFound',
    );
    assert.deepEqual(waiting().extract('# HELP\n# TYPE \n#\n').errors[0]?.code, 'FamilyNotFound');
  });
});

describe('configuration limits', () => {
  test('too many labels in one spec, or names too long for the tables, are refused clearly', () => {
    const labels = Array.from({ length: 15 }, (_, i) => `l${i}=v`).join(',');
    assert.throws(() => new MetricsExtractor(only('waitingQueue', `q{${labels}}`)), {
      name: 'ExtractorConfigError',
      message: /more than 14 labels/,
    });
    assert.throws(() => new MetricsExtractor(only('waitingQueue', `q${'x'.repeat(9000)}`)), {
      name: 'ExtractorConfigError',
      message: /too long/,
    });
  });

  test('the same family under several specs is read once per line for each (Triton preset)', () => {
    const p = new Pair(engineConfig('triton-trtllm'));
    const r = p.extract(
      [
        'nv_trt_llm_request_metrics{model="m",request_type="waiting",version="1"} 4',
        'nv_trt_llm_request_metrics{model="m",request_type="scheduled",version="1"} 9',
        'nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="fraction",model="m",version="1"} 0.5',
        'nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="tokens_per",model="m",version="1"} 64',
        'nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type="max",model="m",version="1"} 4096',
      ].join('\n'),
    );
    assert.deepEqual(r, {
      waitingQueueSize: 4,
      runningRequestsSize: 9,
      kvCacheUsagePercent: 0.5,
      cacheBlockSize: 64,
      cacheNumGpuBlocks: 4096,
      errors: [],
    });
  });
});

test('label values read on one page never leak into the next (the decoded-value cache)', () => {
  const p = new Pair(only('lora', 'vllm:lora_requests_info'));
  const page = (run: string) =>
    `vllm:lora_requests_info{max_lora="1",running_lora_adapters="${run}",waiting_lora_adapters=""} 5\n`;
  assert.deepEqual(p.extract(page('ab')).activeModels, ['ab']);
  assert.deepEqual(p.extract(page('ac')).activeModels, ['ac']);
  assert.deepEqual(p.extract(page('ac')).activeModels, ['ac']);
  assert.deepEqual(p.extract(page('x'.repeat(80))).activeModels, ['x'.repeat(80)]);
  assert.deepEqual(p.extract(page('y'.repeat(80))).activeModels, ['y'.repeat(80)]);
});
