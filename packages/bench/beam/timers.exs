# Workload 6: GenServers that wake themselves every tick with Process.send_after (the
# article's AccountSync pattern), first ticks spread over the first tick: CPU % of one
# core, mean and p99 lateness (ms), memory growth (bytes). Lateness goes to a shared
# histogram of 10 µs buckets, so measuring costs no memory that grows. As in the Node
# systems (measureTicks in packages/core/bench/measure.ts), measuring starts one period
# after the last timer is armed, so the start-up burst does not set p99.
Code.require_file("bench.exs", __DIR__)

defmodule Ticker do
  use GenServer
  @buckets 100_000

  def histogram, do: :counters.new(@buckets + 2, [:write_concurrency])

  @impl true
  def init({tick_ms, histogram}) do
    delay = :rand.uniform(tick_ms)
    Process.send_after(self(), :tick, delay)
    {:ok, {tick_ms, histogram, Bench.now_us() + delay * 1000}}
  end

  @impl true
  def handle_info(:tick, {tick_ms, histogram, due}) do
    now = Bench.now_us()

    if :persistent_term.get(:recording) do
      late = max(now - due, 0)
      :counters.add(histogram, min(div(late, 10), @buckets - 1) + 1, 1)
      :counters.add(histogram, @buckets + 1, late)
    end

    Process.send_after(self(), :tick, tick_ms)
    {:noreply, {tick_ms, histogram, now + tick_ms * 1000}}
  end

  @doc "Mean and p99 lateness in ms."
  def summary(histogram) do
    counts = for i <- 1..@buckets, do: :counters.get(histogram, i)
    total = Enum.sum(counts)
    mean = :counters.get(histogram, @buckets + 1) / total / 1000
    target = total * 0.99

    {index, _} =
      Enum.reduce_while(Enum.with_index(counts), 0, fn {count, i}, seen ->
        if seen + count >= target, do: {:halt, {i, seen}}, else: {:cont, seen + count}
      end)

    {mean, index * 10 / 1000}
  end
end

defmodule Timers do
  def run(%{"tickers" => count, "tickMs" => tick_ms, "timerSeconds" => seconds}) do
    :persistent_term.put(:recording, false)
    histogram = Ticker.histogram()
    before = Bench.memory()
    # GenServer.start returns once init/1 has armed the first timer.
    servers = for _ <- 1..count, do: elem(GenServer.start(Ticker, {tick_ms, histogram}), 1)
    Process.sleep(tick_ms)
    :persistent_term.put(:recording, true)
    {cpu0, _} = :erlang.statistics(:runtime)
    t0 = Bench.now_us()
    Process.sleep(seconds * 1000)
    {cpu1, _} = :erlang.statistics(:runtime)
    wall_ms = (Bench.now_us() - t0) / 1000
    :persistent_term.put(:recording, false)
    memory = Bench.memory() - before
    {mean, p99} = Ticker.summary(histogram)
    Bench.kill_all(servers)
    [(cpu1 - cpu0) / wall_ms * 100, mean, p99, memory]
  end
end

Bench.main(&Timers.run/1)
