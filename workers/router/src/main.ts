import { runServiceMain } from '@chat4all/common';
import { routerService } from './server';

runServiceMain(routerService());
