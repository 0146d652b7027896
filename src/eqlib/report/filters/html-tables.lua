--[[
html-tables.lua: let wide tables scroll sideways in their own box instead of making the whole
page scroll (WCAG 2.2 1.4.10 Reflow). Each table is wrapped in a keyboard-focusable region
named after its caption (axe rule scrollable-region-focusable). HTML output only.
]]

function Table(tbl)
  if not FORMAT:match("html") then
    return nil
  end
  local name = pandoc.utils.stringify(tbl.caption.long)
  if name == "" then
    name = "Table"
  end
  -- attributes as a list of pairs: a Lua table keyed by name has no fixed order, and the
  -- HTML must be byte-identical from one render to the next
  return pandoc.Div({ tbl }, pandoc.Attr("", { "table-wrap" },
    { { "role", "region" }, { "tabindex", "0" }, { "aria-label", name } }))
end
