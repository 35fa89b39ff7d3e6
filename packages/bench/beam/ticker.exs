# Shared by timers.exs and timers-spread.exs (workload 6): GenServers that wake themselves
# every tick with Process.send_after (the article's AccountSync pattern), first ticks
# spread over the first tick: CPU % of one core, mean and p99 lateness (ms), memory growth
# (bytes). Lateness goes to a shared histogram of 10 µs buckets, so measuring costs no
# memory that grows. As in the Node systems (measureTicks in
# packages/core/bench/measure.ts), measuring starts one period after the last timer is
# armed, so the start-up burst does not set p99.
#
# Two shapes: :bunched re-arms `tick_ms` from when the tick ran; :spread re-arms for the
# ticker's own phase, `tick_ms` after the tick was due (`send_after` with `abs: true`), so
# the ticks stay spread evenly over the period.
defmodule Ticker do
  use GenServer
  @buckets 100_000

  def histogram, do: :counters.new(@buckets + 2, [:write_concurrency])

  @impl true
  def init({tick_ms, histogram, shape}) do
    delay = :rand.uniform(tick_ms)
    due = Bench.now_us() + delay * 1000
    arm(shape, due, delay)
    {:ok, {tick_ms, histogram, shape, due}}
  end

  @impl true
  def handle_info(:tick, {tick_ms, histogram, shape, due}) do
    now = Bench.now_us()

    if :persistent_term.get(:recording) do
      late = max(now - due, 0)
      :counters.add(histogram, min(div(late, 10), @buckets - 1) + 1, 1)
      :counters.add(histogram, @buckets + 1, late)
    end

    next = if shape == :spread, do: due + tick_ms * 1000, else: now + tick_ms * 1000
    arm(shape, next, tick_ms)
    {:noreply, {tick_ms, histogram, shape, next}}
  end

  # :spread aims at the due time itself (rounded up to the ms, so never early).
  defp arm(:spread, due_us, _ms),
    do: Process.send_after(self(), :tick, -Integer.floor_div(-due_us, 1000), abs: true)

  defp arm(:bunched, _due_us, ms), do: Process.send_after(self(), :tick, ms)

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
  def run(%{"tickers" => count, "tickMs" => tick_ms, "timerSeconds" => seconds}, shape) do
    :persistent_term.put(:recording, false)
    histogram = Ticker.histogram()
    before = Bench.memory()
    # GenServer.start returns once init/1 has armed the first timer.
    servers =
      for _ <- 1..count, do: elem(GenServer.start(Ticker, {tick_ms, histogram, shape}), 1)

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
