// Drives the unmodified OpenAI Node SDK against the gateway and prints one JSON report on stdout.
//
//   GW_URL=http://127.0.0.1:PORT GW_KEY=... MODEL=gemini-2.5-flash MARKER=xyz node openai_stream_tools.mjs
//
// 1. chat.completions.stream(...) with a tool: the model calls it (the fake answers `CALL ...` lines);
// 2. the tool result goes back and a second chat.completions.stream(...) gives the final text;
// 3. chat.completions.runTools(...) with stream:true runs the same loop inside the SDK.
// The Node stream helper is stricter than Python's: it throws "missing role for choice 0" and
// "missing finish_reason for choice 0" itself, so any such gateway fault fails the script.
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const { GW_URL, GW_KEY, MODEL, MARKER } = process.env;
const client = new OpenAI({ baseURL: `${GW_URL}/v1`, apiKey: GW_KEY, maxRetries: 0, timeout: 30_000 });

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

async function streamOnce(messages) {
  const events = {};
  const stream = client.chat.completions.stream({ model: MODEL, messages, tools: [weatherTool] });
  for (const name of ['content.delta', 'tool_calls.function.arguments.delta', 'tool_calls.function.arguments.done', 'chunk']) {
    stream.on(name, () => { events[name] = (events[name] ?? 0) + 1; });
  }
  const completion = await stream.finalChatCompletion();
  return { completion, events };
}

async function main() {
  const report = { sdkVersion: VERSION };
  const messages = [{ role: 'user', content: 'CALL get_weather {"city": "Paris"}' }];

  const first = await streamOnce(messages);
  const choice = first.completion.choices[0];
  report.first = {
    role: choice.message.role,
    finish_reason: choice.finish_reason,
    tool_calls: choice.message.tool_calls,
    events: first.events,
  };

  messages.push(choice.message);
  for (const call of choice.message.tool_calls ?? []) {
    messages.push({ role: 'tool', tool_call_id: call.id, content: `sunny ${MARKER}` });
  }
  const second = await streamOnce(messages);
  report.second = {
    role: second.completion.choices[0].message.role,
    finish_reason: second.completion.choices[0].finish_reason,
    content: second.completion.choices[0].message.content,
    events: second.events,
  };

  const calls = [];
  const runner = client.chat.completions.runTools({
    model: MODEL,
    stream: true,
    messages: [{ role: 'user', content: 'CALL get_weather {"city": "Rome"}' }],
    tools: [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          parse: JSON.parse,
          function: (args) => { calls.push(args); return `cloudy in ${args.city} ${MARKER}-runner`; },
        },
      },
    ],
  });
  report.runner = { content: await runner.finalContent(), calls, messages: runner.messages.length };

  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ error: { name: err?.constructor?.name, message: String(err?.message ?? err), status: err?.status ?? null } }) + '\n');
  process.exit(1);
});
