"""The analysis: the TensorFlow catalog, abstract values and layouts, name
resolution, the interpreter that follows conv layouts, and the project model."""
