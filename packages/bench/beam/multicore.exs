# The multi-core section (issue #17) on the BEAM, run with one scheduler (+S 1) and with
# one per core (+S <cores>): the same rows as ../src/multicore-workloads.ts, for the
# workloads named in `only=a,b`. Prints one `RESULT <id> v1,v2,…` line per measured run,
# after `warm_up` uncounted runs (none for http). The BEAM has no nodes to cross here:
# its "cross-node" rows are the same two processes in one VM, placed by its schedulers.
Code.require_file("bench.exs", __DIR__)
Code.require_file("counter.exs", __DIR__)
Code.require_file("http.exs", __DIR__)

defmodule Multicore do
  import Bitwise

  # The same arithmetic as crunch() in ../src/multicore-processes.ts.
  def crunch(seed, rounds), do: crunch(seed &&& 0xFFFFFFFF, 0, rounds)
  defp crunch(h, i, n) when i < n, do: crunch((bxor(h, i) * 16_777_619) &&& 0xFFFFFFFF, i + 1, n)
  defp crunch(h, _i, _n), do: h

  def run("cross-send", %{"sends" => total}) do
    parent = self()
    sink = spawn(fn -> sink(total, 0, parent) end)
    t0 = Bench.now_us()
    spawn(fn -> produce(sink, 0, total) end)
    receive do: (:done -> :ok)
    [Bench.per_second(total, t0)]
  end

  def run("cross-ping-pong", %{"pingPongs" => rounds}) do
    parent = self()
    pong = spawn(&pong/0)
    t0 = Bench.now_us()
    spawn(fn -> ping(pong, 1, rounds, parent) end)
    receive do: (:done -> :ok)
    Process.exit(pong, :kill)
    [Bench.per_second(rounds, t0)]
  end

  def run("cross-call", %{"calls" => calls}) do
    {:ok, server} = GenServer.start(Counter, 0)
    t0 = Bench.now_us()
    for _ <- 1..calls, do: GenServer.call(server, :get)
    rate = Bench.per_second(calls, t0)
    GenServer.stop(server)
    [rate]
  end

  def run("pairs", %{"pairs" => pairs, "pairRoundTrips" => total}) do
    parent = self()
    per_pair = max(1, round(total / pairs))

    pings =
      for _ <- 1..pairs do
        pong = spawn(&pong/0)
        {spawn(fn -> receive(do: (:go -> ping(pong, 1, per_pair, parent))) end), pong}
      end

    t0 = Bench.now_us()
    for {ping, _} <- pings, do: send(ping, :go)
    for _ <- 1..pairs, do: receive(do: (:done -> :ok))
    rate = Bench.per_second(per_pair * pairs, t0)
    for {_, pong} <- pings, do: Process.exit(pong, :kill)
    [rate]
  end

  # As many crunchers per scheduler as actorkit has per node.
  def run("crunch", %{"crunchMessages" => messages, "crunchWork" => work, "crunchers" => per_core}) do
    parent = self()
    count = per_core * :erlang.system_info(:schedulers)
    quotas = for i <- 0..(count - 1), do: div(messages, count) + if(i < rem(messages, count), do: 1, else: 0)
    pids = for quota <- quotas, do: spawn(fn -> cruncher(quota, 0, 0, work, parent) end)
    t0 = Bench.now_us()
    tuple = List.to_tuple(pids)
    for i <- 0..(messages - 1), do: send(elem(tuple, rem(i, count)), i)
    for q <- quotas, q > 0, do: receive(do: ({:crunched, _} -> :ok))
    [Bench.per_second(messages, t0)]
  end

  def run("http", args) do
    %{"floodSeconds" => seconds, "probeMs" => probe_ms, "floodWork" => work} = args
    {port, listen, acceptor} = Http.start()
    client = start_probe(args, port, seconds, probe_ms)
    parent = self()
    timer = spawn(fn -> timer_probe(probe_ms, [], parent) end)
    t0 = Bench.now_us()
    deadline = t0 + round(seconds * 1_000_000)
    flood = spawn(fn -> flood(0, work, deadline, parent) end)
    send(flood, :go)
    messages = receive do: ({:flooded, n} -> n)
    rate = Bench.per_second(messages, t0)
    send(timer, :stop)
    lateness = receive do: ({:lateness, samples} -> Enum.sort(samples))

    [http_p50, http_p99] =
      receive do
        {^client, {:data, {:eol, "RESULT " <> result}}} ->
          result |> String.split(",") |> Enum.take(2) |> Enum.map(&to_float/1)
      after
        round((seconds + 30) * 1000) -> raise "the HTTP probe sent no result"
      end

    :gen_tcp.close(listen)
    Process.exit(acceptor, :kill)
    [http_p50, http_p99, Bench.percentile(lateness, 0.99), 1000 / rate]
  end

  defp start_probe(args, port, seconds, probe_ms) do
    probe = Path.expand("../src/http-probe.mjs", __DIR__)

    client =
      Port.open({:spawn_executable, args["node"] || System.find_executable("node")}, [
        :binary,
        {:line, 1024},
        args: [probe, to_string(port), to_string(seconds), to_string(probe_ms)]
      ])

    receive do
      {^client, {:data, {:eol, "ready"}}} -> client
    after
      30_000 -> raise "the HTTP probe did not start"
    end
  end

  defp to_float(text) do
    {value, _} = Float.parse(text)
    value
  end

  defp sink(total, total, parent), do: send(parent, :done)

  defp sink(total, seen, parent) do
    receive do: (%{i: _, text: _} -> sink(total, seen + 1, parent))
  end

  defp produce(_sink, total, total), do: :ok

  defp produce(sink, i, total) do
    send(sink, %{i: i, text: "hello"})
    produce(sink, i + 1, total)
  end

  defp pong do
    receive do: (%{from: from, n: n} -> send(from, n))
    pong()
  end

  defp ping(_pong, n, rounds, parent) when n > rounds, do: send(parent, :done)

  defp ping(pong, n, rounds, parent) do
    send(pong, %{from: self(), n: n})
    receive do: (^n -> ping(pong, n + 1, rounds, parent))
  end

  defp cruncher(quota, quota, sum, _work, parent), do: send(parent, {:crunched, sum})

  defp cruncher(quota, handled, sum, work, parent) do
    receive do: (seed -> cruncher(quota, handled + 1, (sum + crunch(seed, work)) &&& 0xFFFFFFFF, work, parent))
  end

  defp flood(count, work, deadline, parent) do
    receive do
      :go ->
        crunch(count, work)

        if Bench.now_us() < deadline do
          send(self(), :go)
          flood(count + 1, work, deadline, parent)
        else
          send(parent, {:flooded, count + 1})
        end
    end
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
end

:logger.set_primary_config(:level, :none)
args = Bench.args()

for id <- String.split(args["only"], ",") do
  warm_up = if id == "http", do: 0, else: args["warm_up"]
  for _ <- 1..warm_up//1, do: Multicore.run(id, args)

  for _ <- 1..args["runs"] do
    :erlang.garbage_collect()
    values = Multicore.run(id, args)
    IO.puts("RESULT #{id} " <> Enum.map_join(values, ",", &to_string(&1 * 1.0)))
  end
end
