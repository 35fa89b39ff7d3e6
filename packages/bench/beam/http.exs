# The tiny HTTP server of workload 8 and of the multi-core section's HTTP row: it answers
# every request with `ok`, one process per connection, for ../src/http-probe.mjs.
defmodule Http do
  @response "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok"

  def start do
    {:ok, listen} = :gen_tcp.listen(0, [:binary, active: false, reuseaddr: true, ip: {127, 0, 0, 1}])
    {:ok, port} = :inet.port(listen)
    acceptor = spawn(fn -> accept(listen) end)
    {port, listen, acceptor}
  end

  defp accept(listen) do
    case :gen_tcp.accept(listen) do
      {:ok, socket} ->
        pid = spawn(fn -> serve(socket) end)
        :gen_tcp.controlling_process(socket, pid)
        accept(listen)

      _ ->
        :ok
    end
  end

  # The probe sends one small GET at a time, so one recv holds one whole request.
  defp serve(socket) do
    case :gen_tcp.recv(socket, 0) do
      {:ok, _request} ->
        :gen_tcp.send(socket, @response)
        serve(socket)

      _ ->
        :gen_tcp.close(socket)
    end
  end
end
