# Workload 3: round trips between two processes: round trips/s.
Code.require_file("bench.exs", __DIR__)

defmodule PingPong do
  def run(%{"pingPongs" => count}) do
    parent = self()
    pong = spawn(&pong/0)
    t0 = Bench.now_us()
    spawn(fn -> ping(pong, 1, count, parent) end)

    receive do
      :done ->
        Process.exit(pong, :kill)
        [Bench.per_second(count, t0)]
    end
  end

  defp pong do
    receive do
      {from, n} -> send(from, n)
    end

    pong()
  end

  defp ping(_pong, n, count, parent) when n > count, do: send(parent, :done)

  defp ping(pong, n, count, parent) do
    send(pong, {self(), n})

    receive do
      ^n -> ping(pong, n + 1, count, parent)
    end
  end
end

Bench.main(&PingPong.run/1)
