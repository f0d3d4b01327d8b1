"""Reading the files creditors send: CSV exports from billing systems, column mappings."""
