-- End-to-end test of `etiquette lsp` in Neovim's built-in LSP client (0.7 or later).
-- Run by NeovimTests.swift: nvim --headless -u NONE -c "luafile neovim-e2e.lua".
-- Environment: ETQ_BIN (the etiquette binary), ETQ_ROOT (the rule folder), ETQ_REPORT (a file
-- this script writes one `key=value` line per fact into). Every wait polls for a condition.
local bin, root, report_path = os.getenv('ETQ_BIN'), os.getenv('ETQ_ROOT'), os.getenv('ETQ_REPORT')
local report = assert(io.open(report_path, 'w'))
local function fact(key, value)
  report:write(key .. '=' .. tostring(value) .. '\n')
  report:flush()
end
local patience = 300000

local function run()
  local routing = root .. '/routing.etq'
  vim.cmd('edit ' .. vim.fn.fnameescape(routing))
  local buf = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = 'etiquette',
    cmd = { bin, 'lsp' },
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = 'rules' } },
  })
  assert(client_id, 'the client did not start')
  vim.lsp.buf_attach_client(buf, client_id)

  -- Diagnostics of the misspelt label.
  assert(vim.wait(patience, function() return #vim.diagnostic.get(buf) > 0 end, 20), 'no diagnostics')
  local d = vim.diagnostic.get(buf)[1]
  local lsp = (d.user_data and d.user_data.lsp) or d
  fact('code', lsp.code or d.code)
  fact('range', d.lnum .. ':' .. d.col .. '-' .. d.end_lnum .. ':' .. d.end_col)
  fact('message', (d.message:gsub('\n', ' | ')))

  local function request(method, params)
    local responses = vim.lsp.buf_request_sync(buf, method, params, patience)
    assert(responses, method .. ': no response')
    local response = responses[client_id]
    assert(response, method .. ': no response from the client')
    local failure = response.err or response.error
    assert(not failure, method .. ': ' .. vim.inspect(failure))
    return response.result
  end
  local uri = vim.uri_from_bufnr(buf)
  local function at(line, character)
    return { textDocument = { uri = uri }, position = { line = line, character = character } }
  end

  -- Hover and definition on `label "VIP"` (line 10, 0-based).
  local hover = request('textDocument/hover', at(10, 16))
  fact('hover', hover.contents.value:find('contact.tier == "vip"', 1, true) ~= nil)
  local definition = request('textDocument/definition', at(10, 16))
  fact('definition', vim.uri_to_fname(definition[1].uri):match('[^/]+$') .. ':' .. definition[1].range.start.line)

  -- Completion inside the misspelt string.
  local completion = request('textDocument/completion', at(12, 16))
  local labels = {}
  for _, item in ipairs(completion.items or completion) do table.insert(labels, item.label) end
  fact('completion', table.concat(labels, ','))

  -- The quick fix, applied as the editor applies it; the diagnostics go away.
  local actions = request('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = { start = { line = d.lnum, character = d.col }, ['end'] = { line = d.lnum, character = d.col } },
    context = { diagnostics = {} },
  })
  fact('quickfix', actions[1].title)
  vim.lsp.util.apply_workspace_edit(actions[1].edit, 'utf-16')
  assert(vim.wait(patience, function() return #vim.diagnostic.get(buf) == 0 end, 20), 'diagnostics stayed')
  fact('fixed', true)
  vim.cmd('write')

  -- Rename the label across files; the other files are loaded into buffers and saved.
  local rename_params = at(10, 16)
  rename_params.newName = 'Clients VIP'
  local edit = request('textDocument/rename', rename_params)
  local files = 0
  for _ in pairs(edit.changes) do files = files + 1 end
  fact('renamed_files', files)
  vim.lsp.util.apply_workspace_edit(edit, 'utf-16')
  vim.cmd('silent wall')
  fact('done', true)
end

local ok, err = pcall(run)
if not ok then fact('error', (tostring(err):gsub('\n', ' | '))) end
report:close()
vim.cmd(ok and 'qall!' or 'cquit! 1')
