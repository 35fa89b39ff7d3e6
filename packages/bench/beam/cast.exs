# Workload 5: GenServer.cast many times, then one call: casts/s.
Code.require_file("bench.exs", __DIR__)
Code.require_file("counter.exs", __DIR__)

defmodule Casts do
  def run(%{"casts" => count}) do
    {:ok, server} = GenServer.start(Counter, 0)
    t0 = Bench.now_us()
    loop(server, count)
    ^count = GenServer.call(server, :get, :infinity)
    rate = Bench.per_second(count, t0)
    GenServer.stop(server)
    [rate]
  end

  defp loop(_server, 0), do: :ok

  defp loop(server, n) do
    GenServer.cast(server, :inc)
    loop(server, n - 1)
  end
end

Bench.main(&Casts.run/1)
