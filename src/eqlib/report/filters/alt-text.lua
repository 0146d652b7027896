--[[
alt-text.lua: give every image its alt text in HTML and Typst output.

The report writes figures as  ![Caption](path){#fig-label fig-alt="alt text"}.
* HTML: pandoc uses the image description (here the caption) as `alt`; this filter puts the
  `fig-alt` text there instead, so a screen reader hears the description, not the caption twice.
* Typst: pandoc's Typst writer emits `image("path")` with no `alt:` at all; this filter writes
  the image call itself, with `alt:`, so the tagged PDF (PDF/UA-1) carries the alt text.
An image with no alt text is left as it is: eqlib's own check (and Typst's PDF/UA-1 export)
refuses it with a message naming the notebook.
]]

local function typst_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', ' ')
  return '"' .. s .. '"'
end

local function alt_of(img)
  local alt = img.attributes["fig-alt"]
  if alt == nil or alt == "" then
    alt = pandoc.utils.stringify(img.caption)
  end
  return alt
end

function Image(img)
  local alt = alt_of(img)
  if alt == nil or alt:match("^%s*$") then
    -- eqlib checks alt text before pandoc runs (eqlib.report.document.check_chapter) and the
    -- PDF/UA-1 export refuses an image without it; leave such an image for those to report
    return nil
  end
  if FORMAT:match("typst") then
    local args = { typst_string(img.src) }
    local width = img.attributes["width"]
    if width and width:match("^[%d.]+%%$") then
      table.insert(args, "width: " .. width)
    else
      table.insert(args, "width: 100%")
    end
    table.insert(args, "alt: " .. typst_string(alt))
    return pandoc.RawInline("typst", "#image(" .. table.concat(args, ", ") .. ")")
  end
  if FORMAT:match("html") then
    img.caption = { pandoc.Str(alt) }
    img.attributes["fig-alt"] = nil
    return img
  end
end
