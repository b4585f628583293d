package main

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

type composeFile struct {
	Services map[string]struct {
		Environment map[string]any `json:"environment"`
	} `json:"services"`
}

// CompareCompose reports every app of docker-compose.yml (a service whose
// environment sets APP) that has no Deployment running the same APP, or
// whose Deployment leaves out a variable the compose service sets. The
// tests prove that compose's environment starts every app, so the
// manifests must provide at least the same settings (values differ:
// addresses, and secrets that come from a Secret).
func CompareCompose(objects []Object, data []byte) []string {
	var file composeFile
	if err := yaml.Unmarshal(data, &file); err != nil {
		return []string{fmt.Sprintf("compose file: %v", err)}
	}
	byApp := map[string]map[string]bool{}
	for _, o := range objects {
		d, ok := o.Obj.(*appsv1.Deployment)
		if !ok {
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			names := map[string]bool{}
			app := ""
			for _, env := range c.Env {
				names[env.Name] = true
				if env.Name == "APP" {
					app = env.Value
				}
			}
			if app != "" {
				byApp[app] = names
			}
		}
	}
	var problems []string
	services := make([]string, 0, len(file.Services))
	for name := range file.Services {
		services = append(services, name)
	}
	sort.Strings(services)
	for _, name := range services {
		env := file.Services[name].Environment
		app, ok := env["APP"].(string)
		if !ok {
			continue
		}
		names, ok := byApp[app]
		if !ok {
			problems = append(problems, fmt.Sprintf("compose service %s runs APP=%s, which no Deployment runs", name, app))
			continue
		}
		var missing []string
		for variable := range env {
			if !names[variable] {
				missing = append(missing, variable)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("the Deployment running APP=%s lacks %v, which compose service %s sets", app, missing, name))
		}
	}
	if len(byApp) == 0 {
		problems = append(problems, "no Deployment sets APP")
	}
	return problems
}
