# Workload 8: while pairs of processes bounce messages until a deadline, a probe process
# measures the lateness of a short `receive after`, and an HTTP client in another OS
# process (../src/http-probe.mjs) times GETs to a tiny HTTP server on this node:
# timer p50/p99, HTTP p50/p99 (ms), and the flood's messages/s. Every wait of the main
# process has a deadline, so a flood that does not stop fails the run instead of hanging it.
Code.require_file("bench.exs", __DIR__)
Code.require_file("http.exs", __DIR__)

defmodule Fairness do
  # Slack after the flood's deadline for its processes to stop and for the probes to report.
  @grace_ms 10_000

  def run(args) do
    %{"floodPairs" => pairs, "floodSeconds" => seconds, "probeMs" => probe_ms} = args
    {port, listen, acceptor} = Http.start()
    probe = Path.expand("../src/http-probe.mjs", __DIR__)

    client =
      Port.open({:spawn_executable, args["node"] || System.find_executable("node")}, [
        :binary,
        {:line, 1024},
        args: [probe, to_string(port), to_string(seconds), to_string(probe_ms)]
      ])

    receive do
      {^client, {:data, {:eol, "ready"}}} -> :ok
    after
      30_000 -> raise "the HTTP probe did not start"
    end

    parent = self()
    timer = spawn(fn -> timer_probe(probe_ms, [], parent) end)
    messages = :counters.new(1, [:write_concurrency])
    t0 = Bench.now_us()
    deadline = t0 + seconds * 1_000_000

    for _ <- 1..pairs do
      a = spawn(fn -> bounce(messages, deadline, parent) end)
      b = spawn(fn -> bounce(messages, deadline, parent) end)
      send(a, {b, 1})
      send(b, {a, 1})
    end

    await_bounced(pairs * 2, deadline + @grace_ms * 1000)
    rate = Bench.per_second(:counters.get(messages, 1), t0)
    send(timer, :stop)

    lateness =
      receive do
        {:lateness, samples} -> Enum.sort(samples)
      after
        @grace_ms -> raise "the timer probe sent no samples"
      end

    [http_p50, http_p99] =
      receive do
        {^client, {:data, {:eol, "RESULT " <> result}}} ->
          result |> String.split(",") |> Enum.take(2) |> Enum.map(&to_float/1)
      after
        (seconds + 30) * 1000 -> raise "the HTTP probe sent no result"
      end

    :gen_tcp.close(listen)
    Process.exit(acceptor, :kill)
    [Bench.percentile(lateness, 0.5), Bench.percentile(lateness, 0.99), http_p50, http_p99, rate]
  end

  defp to_float(text) do
    {value, _} = Float.parse(text)
    value
  end

  defp timer_probe(probe_ms, samples, parent) do
    t0 = Bench.now_us()

    receive do
      :stop -> send(parent, {:lateness, samples})
    after
      probe_ms ->
        late = (Bench.now_us() - t0) / 1000 - probe_ms
        timer_probe(probe_ms, [late | samples], parent)
    end
  end

  # Waits for `count` flood processes to stop, until `until_us` at the latest.
  defp await_bounced(0, _until_us), do: :ok

  defp await_bounced(count, until_us) do
    receive do
      :bounced -> await_bounced(count - 1, until_us)
    after
      max(div(until_us - Bench.now_us(), 1000), 0) ->
        raise "#{count} flood processes did not stop within #{@grace_ms} ms of the deadline"
    end
  end

  # A pair bounces two tokens. With one scheduler they move in step and each process
  # stops on one of them; with several they drift apart, and the process that stops
  # first may keep the token its partner waits for. So a process that sees the deadline
  # tells its partner to stop too, whichever of them holds the tokens; tokens sent to a
  # process that has stopped are dropped. The token's receive has no `after`: a timer per
  # wait would slow the flood, and the main process's deadline covers a hang.
  defp bounce(messages, deadline, parent) do
    receive do
      {to, n} ->
        :counters.add(messages, 1, 1)

        if Bitwise.band(n, 255) == 0 and Bench.now_us() > deadline do
          send(to, :stop)
          send(parent, :bounced)
        else
          send(to, {self(), n + 1})
          bounce(messages, deadline, parent)
        end

      :stop ->
        send(parent, :bounced)
    end
  end
end

Bench.main(&Fairness.run/1)
