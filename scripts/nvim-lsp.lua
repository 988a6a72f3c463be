-- Loaded by scripts/nvim-lsp.sh: attaches `shardlint server` to the current buffer (the
-- Neovim 0.7 API; 0.8+ can use vim.lsp.start), waits for its diagnostics and prints them.
local buf = vim.api.nvim_get_current_buf()
local client = vim.lsp.start_client({
  name = "shardlint",
  cmd = { vim.env.SHARDLINT, "server" },
  root_dir = vim.fn.getcwd(),
})
vim.lsp.buf_attach_client(buf, client)
local got = vim.wait(30000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)
if not got then
  io.stderr:write("nvim-lsp.sh: no diagnostics from shardlint server within 30 s\n")
  vim.cmd("cquit 1")
end
local name = vim.fn.expand("%")
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  local first = vim.split(d.message, "\n")[1]
  io.stdout:write(string.format("%s:%d:%d: %s %s\n", name, d.lnum + 1, d.col + 1, code, first))
end
vim.lsp.stop_client(client)
vim.wait(5000, function()
  return vim.lsp.client_is_stopped(client)
end, 20)
vim.cmd("qa!")
