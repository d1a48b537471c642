"""Component ids, defined once: layout, callbacks, clientside JS and tests all use these.

The clientside code in ``assets/atlas.js`` reads the same ids from the DOM; a test checks
the two agree.
"""

# controls
MODE = "mode"
TEXT = "text"
SEQ_LEN = "seq-len"
D_MODEL = "d-model"
N_HEADS = "n-heads"
SEED = "seed"
MASK = "mask"
N_PAD = "n-pad"
POSITIONAL = "positional"
SCALE = "scale"
CONTROL_ERROR = "control-error"
TEXT_GROUP = "text-group"
SEQ_LEN_GROUP = "seq-len-group"

# stores
CONFIG_STORE = "config-store"  # the last valid settings, as plain JSON
MAIN_STORE = "main-store"  # attention step figures + shapes (the main update)
DETAIL_STORE = "detail-store"  # every other step's figures
TEXT_STORE = "text-store"  # static explanations of the six steps

# step navigator
STEP = "step"
PREV = "prev"
NEXT = "next"
PLAY = "play"
SPEED = "speed"
LOOP = "loop"
TICKER = "ticker"

# step view
STEP_TITLE = "step-title"
STEP_PLAIN = "step-plain"
STEP_MATH = "step-math"
STEP_SHAPES = "step-shapes"
GRAPH_MAIN = "graph-main"
GRAPH_EXTRA = "graph-extra"
STEP_STATUS = "step-status"

# matrix inspector
INSPECT_ARRAY = "inspect-array"
INSPECT_HEAD = "inspect-head"
INSPECT_GRAPH = "inspect-graph"
INSPECT_TABLE = "inspect-table"
INSPECT_DOWNLOAD = "inspect-download"
INSPECT_CSV = "inspect-csv"
INSPECT_NOTE = "inspect-note"
CHOICES_STORE = "choices-store"  # d_model values the UI offers (filtered in the browser)

# tabs and the pretrained-model mode
TABS = "tabs"
TAB_WALKTHROUGH = "walkthrough"
TAB_PRETRAINED = "pretrained"
PT_MODEL = "pt-model"
PT_TEXT = "pt-text"
PT_ERROR = "pt-error"
PT_SUMMARY = "pt-summary"
PT_GRID = "pt-grid"
PT_FOCUS = "pt-focus"
PT_STORE = "pt-store"  # the (model, text) the grid shows
PT_SELECTION = "pt-selection"  # {"layer": l, "head": h or null for the layer average}

# the researcher's toolkit
EXPLAIN_SELECTION = "explain-selection"  # {"head": h or null, "query": i, "key": j}
EXPLAIN_PANEL = "explain-panel"
METRICS_TABLE = "metrics-table"
METRICS_SORT = "metrics-sort"  # pattern-matching type of the sortable header buttons
METRICS_ORDER = "metrics-order"  # {"by": metric, "descending": bool}
MASKLAB_HEAD = "masklab-head"
MASKLAB_GRAPH = "masklab-graph"
MASKLAB_NOTES = "masklab-notes"
PT_METRIC = "pt-metric"
PT_METRIC_GRAPH = "pt-metric-graph"
PT_ROLLOUT_GRAPH = "pt-rollout-graph"
PT_EXPLAIN_PANEL = "pt-explain-panel"
PT_EXPLAIN_SELECTION = "pt-explain-selection"

# share and export
LOCATION = "location"  # the address bar: its query names every setting and the step
COPY_LINK = "copy-link"
COPY_STATUS = "copy-status"
EXPORT_IMAGE = "export-image"  # pattern-matching type: {"type", "graph", "format"}
EXPORT_IMAGE_DONE = "export-image-done"  # the file name of the last figure downloaded
EXPORT_NPZ = "export-npz"
EXPORT_JSON = "export-json"
EXPORT_NPZ_DOWNLOAD = "export-npz-download"
EXPORT_JSON_DOWNLOAD = "export-json-download"
EXPORT_STATUS = "export-status"
