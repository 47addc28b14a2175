package train

// Confusion returns the confusion matrix computed for these metrics: a
// ConfusionMatrix in Config.Metrics, or the one inside a Precision, Recall or F1
// metric; ok is false when there is none.
//
//	m, err := trainer.Evaluate(ctx, testSet)
//	if cm, ok := m.Confusion(); ok {
//		fmt.Println(cm.Matrix())
//	}
func (m Metrics) Confusion() (cm *ConfusionMatrix, ok bool) {
	for _, c := range m.Computed {
		switch v := c.(type) {
		case *ConfusionMatrix:
			return v, true
		case *Precision:
			return &v.ConfusionMatrix, true
		case *Recall:
			return &v.ConfusionMatrix, true
		case *F1:
			return &v.ConfusionMatrix, true
		}
	}
	return nil, false
}

// Metric returns the computed metric named name (its Name(), as in Extra), so that
// a caller can read more than its Value without searching Computed.
func (m Metrics) Metric(name string) (Metric, bool) {
	for _, c := range m.Computed {
		if c.Name() == name {
			return c, true
		}
	}
	return nil, false
}
